// Browser entry: hydrates the server-rendered markup when there is some, else renders.
import { createRoot, hydrateRoot } from 'react-dom/client';
import { Root } from './app.jsx';

const container = document.getElementById('root');
const element = <Root config={window.__config} />;
if (container.hasChildNodes()) hydrateRoot(container, element);
else createRoot(container).render(element);
