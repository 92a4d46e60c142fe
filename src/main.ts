import { mount } from 'svelte';
import App from './App.svelte';
import './ui/theme.css';
import { app } from './ui/app.svelte';
import { environment } from './ui/environment.svelte';
import { i18n } from './ui/i18n.svelte';

i18n.applyToDocument();
app.listen();

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');
mount(App, { target });

// Choose the compute backend once the shell is on screen (loads TF.js lazily).
setTimeout(() => void environment.detect(), 0);

// Offline: the service worker precaches every built file (generated at build time).
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('./sw.js').catch((e: unknown) => {
      console.warn('Service worker not registered; the studio will not work offline.', e);
    });
  });
}
