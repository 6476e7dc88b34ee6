/**
 * Continual task addition: adding a task to a trained multi-task model without forgetting the old ones.
 * EWC (Kirkpatrick et al. 2017) keeps the shared parameters near their old values, weighted by the
 * diagonal Fisher information; LwF (Li & Hoiem 2017) distils the old model's outputs on the new data.
 * Both are Trainer penalties (`penalties: [ewcPenalty(...)]`); `headView` trains chosen heads only.
 */
export { diagonalFisher, ewcPenalty, ewcPenaltyValue, disposeFisher, fisherSummary, type FisherDiagonal, type FisherOptions } from './ewc.js';
export { distillationLoss, lwfPenalty, type LwfOptions } from './lwf.js';
export { headView } from './heads.js';
