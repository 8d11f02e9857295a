// The worker loads this module (`require.resolve('./workflows')`): every workflow type it runs.
export { roleWorkflow } from './role';
export { scheduledHandover } from './scheduled-handover';
export { jobWorkflow } from './jobs';
