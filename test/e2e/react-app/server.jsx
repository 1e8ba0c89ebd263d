// Node entry: what a server renders (renderToString), for the hydration test.
import { renderToString } from 'react-dom/server';
import { Root } from './app.jsx';

export const render = (config) => renderToString(<Root config={config} />);
