/**
 * Meta-learning over tasks: MAML (Finn et al. 2017; second order by Hessian-vector products, or first
 * order) and Reptile (Nichol et al. 2018) on small parametric models in float64, with a pooled baseline.
 * A task is an episode (support and query data); `adapt` fine-tunes θ on a new task's support set.
 */
export { adapt, adaptTrajectory, mamlGradient, trainMaml, trainReptile, trainPooled, Adam, type Episode, type AdaptOptions, type MetaGradient, type MetaTrainOptions } from './maml.js';
export { linearModel, mlpModel, hessianVector, finiteDifferenceHvp, type ParamModel, type RegressionData } from './models.js';
