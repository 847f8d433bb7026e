// Entry point of the field app: registers the service worker that makes it work offline.
import { render } from 'preact';
import { html } from 'htm/preact';
import { FieldApp } from './app';
import './styles.css';

if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('/field/sw.js', { scope: '/field/' }).catch((e: unknown) => {
    console.warn('service worker registration failed', e);
  });
}

const root = document.getElementById('app');
if (root) render(html`<${FieldApp} />`, root);
