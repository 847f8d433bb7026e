// Entry point of the dashboard page.
import { render } from 'preact';
import { html } from 'htm/preact';
import { App } from './app';
import './styles.css';

const root = document.getElementById('app');
if (root) render(html`<${App} />`, root);
