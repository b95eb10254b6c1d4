// A separate process charging a dataset's privacy ledger, for the test of charges from several processes at once:
// `node --import tsx --conditions=@tributary/source charge-ledger.ts STATE_DIR DATASET_ID COUNT EPSILON`.
import { DatasetPrivacyGuard } from "../src/agent/privacy-guard.js";

const [stateDir, datasetId, count, epsilon] = process.argv.slice(2);
const guard = await DatasetPrivacyGuard.open(stateDir as string, datasetId as string, { epsilon: 1000, delta: 1e-5 });
for (let i = 0; i < Number(count); i++) {
  await guard.chargeRelease({ epsilon: Number(epsilon), delta: 0 }, `process-${process.pid}`);
}
