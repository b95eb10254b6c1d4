/** An EIP-1193 provider: what a browser wallet injects as `window.ethereum`, and what the development wallet is. */
export interface Eip1193Provider {
  request(args: { method: string; params?: unknown[] | object }): Promise<unknown>;
}

declare global {
  interface Window {
    ethereum?: Eip1193Provider;
  }
}

/** The wallet the browser injected (MetaMask, Rabby, Frame…), if any. */
export function injectedWallet(): Eip1193Provider | undefined {
  return typeof window === "undefined" ? undefined : window.ethereum;
}
