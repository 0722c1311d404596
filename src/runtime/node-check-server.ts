// The server entry's first import: modules are evaluated in import order, so this runs before any
// dependency that would crash an old Node.
import { exitUnlessSupportedNode } from './supported-node.js';

exitUnlessSupportedNode('`npm start`');
