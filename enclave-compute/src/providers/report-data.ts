/**
 * The 64 bytes of report data an SGX or TDX quote carries for Tributary: the 32 bytes of user data
 * (`attestationUserData`) then the coordinator's 32-byte nonce. `DcapAttestationVerifier` reads them back the
 * same way (bytes 0–32 user data, 32–64 nonce).
 */
export function dcapReportData(userData: Uint8Array, nonce: Uint8Array): Uint8Array {
  if (userData.length !== 32) throw new RangeError(`userData must be 32 bytes, got ${userData.length}`);
  if (nonce.length !== 32) throw new RangeError(`an SGX/TDX nonce must be 32 bytes, got ${nonce.length}`);
  const reportData = new Uint8Array(64);
  reportData.set(userData, 0);
  reportData.set(nonce, 32);
  return reportData;
}
