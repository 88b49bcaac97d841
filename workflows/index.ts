// Every workflow the worker registers (workflowsPath points here).
export { bankConnectionWorkflow } from './bank-connection';
