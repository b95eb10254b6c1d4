/**
 * `npm run bench:attestation`: verifications per second of the real AWS Nitro attestation document (test vector,
 * verified as of its own time), against a baseline measured in the same run: the bare ES384 check of its COSE
 * signature, which every verification must do at least once (a full one does five P-384 checks: the document and
 * four certificates). Also the pieces: strict CBOR decoding and the certificate chain. Prints a table, then one
 * JSON line. `--seconds N` sets the time per measure (default 1).
 */
import { verify } from "node:crypto";
import { readFileSync } from "node:fs";
import {
  AWS_NITRO_ROOT_FINGERPRINT,
  coseSign1SigStructure,
  decodeCoseSign1,
  NitroAttestationVerifier,
  parseNitroAttestationDocument,
  verifyNitroCertificateChain,
} from "../src/index.js";

const VECTOR = new URL("../../test/vectors/nitro/attestation.cose.bin", import.meta.url);
const AT = 1_732_990_000_000;
const TARGET_MS = 10;
const secondsFlag = process.argv.indexOf("--seconds");
const SECONDS = secondsFlag > 0 ? Number(process.argv[secondsFlag + 1]) : 1;

/** Runs `work` in rounds for about `SECONDS` after a warm-up; returns the median ms per call over 5 rounds. */
function measure(work: () => void): number {
  const warmUntil = performance.now() + 200;
  let perRound = 0;
  while (performance.now() < warmUntil) {
    work();
    perRound++;
  }
  const calls = Math.max(1, Math.round((perRound / 0.2) * (SECONDS / 5)));
  const rounds: number[] = [];
  for (let round = 0; round < 5; round++) {
    const start = performance.now();
    for (let i = 0; i < calls; i++) work();
    rounds.push((performance.now() - start) / calls);
  }
  return rounds.sort((a, b) => a - b)[2] as number;
}

const document = new Uint8Array(readFileSync(VECTOR));
const verifier = new NitroAttestationVerifier({ maxAgeMs: 3 * 3_600_000 });
const claims = verifier.verifySync(document, AT); // throws if the vector does not verify
const message = decodeCoseSign1(document);
const fields = parseNitroAttestationDocument(message.payload);
const chain = verifyNitroCertificateChain(fields.certificate, fields.cabundle, AT, AWS_NITRO_ROOT_FINGERPRINT);
const signed = coseSign1SigStructure(message.protectedHeader, message.payload);
const leafKey = chain.leaf.publicKey;

const baselineMs = measure(() => {
  if (!verify("sha384", signed, { key: leafKey, dsaEncoding: "ieee-p1363" }, message.signature)) throw new Error("!");
});
const decodeMs = measure(() => parseNitroAttestationDocument(decodeCoseSign1(document).payload));
const chainMs = measure(() =>
  verifyNitroCertificateChain(fields.certificate, fields.cabundle, AT, AWS_NITRO_ROOT_FINGERPRINT),
);
const fullMs = measure(() => verifier.verifySync(document, AT));

const rows: [string, number][] = [
  ["bare ES384 check of the COSE signature (baseline)", baselineMs],
  ["strict CBOR decode + payload schema", decodeMs],
  ["certificate chain (5 certificates, 4 P-384 checks)", chainMs],
  ["full verification (NitroAttestationVerifier)", fullMs],
];
const width = Math.max(...rows.map(([name]) => name.length));
console.log(
  `Nitro attestation, ${document.length} bytes, module ${claims.moduleId}, as of ${new Date(AT).toISOString()}`,
);
console.log(`${"measure".padEnd(width)}  ${"ms/op".padStart(8)}  ${"ops/s".padStart(8)}  × baseline`);
for (const [name, ms] of rows) {
  const ratio = (ms / baselineMs).toFixed(2);
  console.log(
    `${name.padEnd(width)}  ${ms.toFixed(3).padStart(8)}  ${Math.round(1000 / ms)
      .toString()
      .padStart(8)}  ${ratio}`,
  );
}
console.log(`target ≤ ${TARGET_MS} ms per verification: ${fullMs <= TARGET_MS ? "met" : "NOT met"}`);
console.log(
  JSON.stringify({
    bench: "attestation",
    kind: "nitro",
    msPerVerification: Number(fullMs.toFixed(3)),
    verificationsPerSecond: Math.round(1000 / fullMs),
    baselineEs384Ms: Number(baselineMs.toFixed(3)),
    ratioToBaseline: Number((fullMs / baselineMs).toFixed(2)),
    decodeMs: Number(decodeMs.toFixed(3)),
    chainMs: Number(chainMs.toFixed(3)),
    targetMs: TARGET_MS,
    met: fullMs <= TARGET_MS,
  }),
);
