import type { BrowserProvider, JsonRpcSigner } from "ethers";
import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from "react";
import type { PortalConfig } from "../api/portal-config.js";
import { type Eip1193Provider, injectedWallet } from "./eip1193.js";

export interface WalletState {
  readonly config: PortalConfig;
  /** The coordinator session's bearer token, once signed in (pages build their API client from it: `useApi`). */
  readonly token: string | undefined;
  /** The connected wallet's provider (reads and writes the chain), once connected. */
  readonly provider: BrowserProvider | undefined;
  readonly signer: JsonRpcSigner | undefined;
  readonly address: string | undefined;
  /** Which wallet: the browser's, or the development wallet with the demo account's label. */
  readonly walletName: string | undefined;
  readonly signedIn: boolean;
  connectInjected(): Promise<void>;
  connectDev(label: string): Promise<void>;
  signIn(): Promise<void>;
}

const WalletContext = createContext<WalletState | undefined>(undefined);

export function useWallet(): WalletState {
  const state = useContext(WalletContext);
  if (state === undefined) throw new Error("useWallet outside WalletProvider");
  return state;
}

/**
 * Holds the connected wallet (EIP-1193) and the coordinator session for every role page. ethers, protocol and the
 * development wallet load on first use, so the portal's first load carries only its shell.
 */
export function WalletProvider({ config, children }: { config: PortalConfig; children: ReactNode }) {
  const [provider, setProvider] = useState<BrowserProvider>();
  const [signer, setSigner] = useState<JsonRpcSigner>();
  const [walletName, setWalletName] = useState<string>();
  const [token, setToken] = useState<string>();

  const connect = useCallback(
    async (eip1193: Eip1193Provider, name: string) => {
      const { BrowserProvider } = await import("ethers");
      const browser = new BrowserProvider(eip1193);
      await browser.send("eth_requestAccounts", []);
      const network = await browser.getNetwork();
      if (network.chainId !== BigInt(config.chainId)) {
        throw new Error(
          `the wallet is on chain ${network.chainId}, the coordinator on chain ${config.chainId}: switch networks`,
        );
      }
      setProvider(browser);
      setSigner(await browser.getSigner());
      setWalletName(name);
      setToken(undefined);
    },
    [config.chainId],
  );

  const value = useMemo<WalletState>(
    () => ({
      config,
      token,
      provider,
      signer,
      address: signer?.address,
      walletName,
      signedIn: token !== undefined,
      async connectInjected() {
        const injected = injectedWallet();
        if (injected === undefined) throw new Error("no browser wallet found (install one, or use npm start's)");
        await connect(injected, "browser wallet");
      },
      async connectDev(label: string) {
        const dev = config.devWallet;
        const account = dev?.accounts.find((candidate) => candidate.label === label);
        if (dev === undefined || account === undefined) throw new Error(`no development account ${label}`);
        const { DevWallet } = await import("./dev-wallet.js");
        await connect(new DevWallet(dev.rpcUrl, config.chainId, account), `development wallet: ${label}`);
      },
      async signIn() {
        if (signer === undefined) throw new Error("connect a wallet first");
        const { signInWithWallet } = await import("./sign-in.js");
        setToken(await signInWithWallet(config.coordinatorUrl, signer, config.chainId));
      },
    }),
    [config, token, provider, signer, walletName, connect],
  );
  return <WalletContext.Provider value={value}>{children}</WalletContext.Provider>;
}
