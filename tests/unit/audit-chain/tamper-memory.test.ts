import { runTamperSuite } from './tamper.cases.js';
import { memoryWorld } from './world.js';

runTamperSuite('memory stores', async () => memoryWorld());
