/**
 * The one home of the helpers the tests, the fault suite and the benchmarks share. Product code (src/, scripts/)
 * never imports from here.
 */
export * from './acknowledgement';
export * from './chromium';
export * from './clock';
export * from './files';
export * from './histories';
export * from './proc';
export * from './rotation';
export * from './servers';
export * from './wait';
export * from './worker-process';
