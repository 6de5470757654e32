/** The analysis worker's entry when running from sources or compiled JS (the bundles start their own file). */
import "./first.js";
import { runAnalysisWorker } from "./worker.js";

runAnalysisWorker();
