import { useState } from "react";
import { ErrorMessage } from "../ui/status.js";
import { errorMessage } from "../ui/use-async.js";
import { injectedWallet } from "./eip1193.js";
import { useWallet } from "./wallet-context.js";

/** Connect a wallet (the browser's, or in development the demo accounts') and sign in with the coordinator. */
export function WalletBar() {
  const wallet = useWallet();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const run = (action: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    action()
      .catch((caught: unknown) => setError(errorMessage(caught)))
      .finally(() => setBusy(false));
  };
  const dev = wallet.config.devWallet;
  return (
    <section className="wallet" aria-label="Wallet">
      {dev === undefined ? null : (
        <div className="dev-wallet" role="note">
          <strong>Development wallet — demo keys, never use with real funds.</strong>
          <label>
            Demo account
            <select
              defaultValue=""
              disabled={busy}
              onChange={(event) => run(() => wallet.connectDev(event.target.value))}
            >
              <option value="" disabled>
                choose an account…
              </option>
              {dev.accounts.map((account) => (
                <option key={account.label} value={account.label}>
                  {account.label}
                </option>
              ))}
            </select>
          </label>
        </div>
      )}
      {injectedWallet() === undefined ? null : (
        <button type="button" disabled={busy} onClick={() => run(() => wallet.connectInjected())}>
          Connect browser wallet
        </button>
      )}
      {wallet.address === undefined ? (
        <p>No wallet connected.</p>
      ) : (
        <p>
          <span className="mono" data-testid="connected-address">
            {wallet.address}
          </span>{" "}
          ({wallet.walletName}){" "}
          {wallet.signedIn ? (
            <span className="badge">signed in</span>
          ) : (
            <button type="button" disabled={busy} onClick={() => run(() => wallet.signIn())}>
              Sign in with Ethereum
            </button>
          )}
        </p>
      )}
      {error === undefined ? null : <ErrorMessage>{error}</ErrorMessage>}
    </section>
  );
}
