import { describe, expect, it } from "vitest";
import { ChannelStore } from "./channel-store.js";

/** An in-memory `localStorage`. */
function memory() {
  const items = new Map<string, string>();
  return {
    getItem: (key: string) => items.get(key) ?? null,
    setItem: (key: string, value: string) => void items.set(key, value),
    items,
  };
}

const OWNER = {
  chainId: 31337,
  paymentChannels: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  buyer: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
};
const PROVIDER = "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc";
const TOKEN = "0xe7f1725e7734ce288f8367e1bb143e90bb3f0512";

describe("the buyer's channels kept in the browser", () => {
  it("keeps each channel's state across stores (a reload), per buyer and deployment, big amounts exact", () => {
    const storage = memory();
    const state = {
      served: 3n * 10n ** 16n,
      uncertain: 10n ** 16n,
      unanswered: 0n,
      signed: 4n * 10n ** 16n,
      requests: 3,
    };
    new ChannelStore(OWNER, storage).save({ channelId: 7n, provider: PROVIDER, token: TOKEN, state });
    new ChannelStore(OWNER, storage).save({
      channelId: 9n,
      provider: PROVIDER,
      token: TOKEN,
      state: { ...state, requests: 1 },
    });
    // A later save of channel 7 replaces it; 9 stays.
    new ChannelStore(OWNER, storage).save({
      channelId: 7n,
      provider: PROVIDER,
      token: TOKEN,
      state: { ...state, requests: 4 },
    });
    const again = new ChannelStore(OWNER, storage).all();
    expect(again.map((one) => [one.channelId, one.state.requests])).toEqual([
      [9n, 1],
      [7n, 4],
    ]);
    expect(again[1]?.state.served).toBe(30000000000000000n);
    // Another buyer on the same deployment sees none of them.
    expect(new ChannelStore({ ...OWNER, buyer: PROVIDER }, storage).all()).toEqual([]);
    expect([...storage.items.keys()]).toEqual([
      `tributary.channels.v1.31337.${OWNER.paymentChannels}.${OWNER.buyer}`.toLowerCase(),
    ]);
  });

  it("refuses a stored value that does not parse rather than starting the channel again from zero", () => {
    const storage = memory();
    const store = new ChannelStore(OWNER, storage);
    storage.setItem(store.key, JSON.stringify({ version: 1, channels: [{ channelId: "7", provider: PROVIDER }] }));
    expect(() => store.all()).toThrow(
      /the channels kept in this browser \(tributary\.channels\.v1\.31337\..*\) do not parse/,
    );
    expect(() =>
      store.save({
        channelId: 8n,
        provider: PROVIDER,
        token: TOKEN,
        state: { served: 0n, uncertain: 0n, unanswered: 0n, signed: 0n, requests: 0 },
      }),
    ).toThrow(/do not parse/);
  });
});
