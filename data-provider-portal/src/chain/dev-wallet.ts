import { JsonRpcProvider, Network, Wallet } from "ethers";
import type { DevAccount } from "../api/portal-config.js";
import type { Eip1193Provider } from "./eip1193.js";

/**
 * DEVELOPMENT WALLET: an EIP-1193 provider over the demo's own keys, which a development coordinator serves to the
 * portal so `npm start` works without a browser extension. The keys are the demo's, public to anyone who can reach
 * the page: never use it with real funds. Signing happens here; everything else goes to the chain's JSON-RPC.
 */
export class DevWallet implements Eip1193Provider {
  readonly #rpc: JsonRpcProvider;
  readonly #wallet: Wallet;

  constructor(
    readonly rpcUrl: string,
    chainId: number,
    readonly account: DevAccount,
  ) {
    this.#rpc = new JsonRpcProvider(rpcUrl, undefined, {
      staticNetwork: Network.from(chainId),
      cacheTimeout: -1,
      batchMaxCount: 1,
    });
    this.#wallet = new Wallet(account.privateKey, this.#rpc);
  }

  get address(): string {
    return this.#wallet.address;
  }

  async request({ method, params }: { method: string; params?: unknown[] | object }): Promise<unknown> {
    const args = (Array.isArray(params) ? params : []) as unknown[];
    switch (method) {
      case "eth_requestAccounts":
      case "eth_accounts":
        return [this.#wallet.address];
      case "personal_sign":
        return this.#wallet.signMessage(toMessage(args[0] as string));
      case "eth_signTypedData_v4": {
        const typed = JSON.parse(args[1] as string) as {
          domain: Record<string, unknown>;
          types: Record<string, { name: string; type: string }[]>;
          message: Record<string, unknown>;
        };
        const { EIP712Domain: _domain, ...types } = typed.types;
        return this.#wallet.signTypedData(typed.domain, types, typed.message);
      }
      case "eth_sendTransaction": {
        const tx = args[0] as { to?: string; data?: string; value?: string; gas?: string };
        const sent = await this.#wallet.sendTransaction({
          ...(tx.to === undefined ? {} : { to: tx.to }),
          ...(tx.data === undefined ? {} : { data: tx.data }),
          ...(tx.value === undefined ? {} : { value: BigInt(tx.value) }),
          ...(tx.gas === undefined ? {} : { gasLimit: BigInt(tx.gas) }),
        });
        return sent.hash;
      }
      default:
        return this.#rpc.send(method, args);
    }
  }
}

/** personal_sign's message is hex of the UTF-8 bytes (as ethers' BrowserProvider sends it). */
function toMessage(hex: string): Uint8Array | string {
  if (!/^0x([0-9a-fA-F]{2})*$/.test(hex)) return hex;
  const bytes = new Uint8Array((hex.length - 2) / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(2 + 2 * i, 4 + 2 * i), 16);
  return bytes;
}
