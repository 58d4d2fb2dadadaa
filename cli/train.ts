// Entry point of `npm run train`; the job itself is cli/run-train.ts.
import { runTrain } from './run-train';

runTrain(process.argv.slice(2)).then((code) => process.exit(code));
