/** Test planning and the cost model: multi-fidelity plans, hardware fits, roofline estimates. */
export * from "./types.js";
export * from "./gpus.js";
export * from "./fit.js";
export * from "./cost.js";
export * from "./plan.js";
