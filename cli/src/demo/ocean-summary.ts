/** What `npm start -- --ocean` did on Ocean Protocol: one data NFT and datatoken per owner, one order per dataset. */
export interface OceanDemoResult {
  /** Ocean's ERC721Factory on the chain. */
  readonly factory: string;
  readonly nfts: string[];
  readonly datatokens: string[];
  readonly dids: string[];
  /** The researcher's `startOrder` transactions of the job being run, one per dataset. */
  readonly orders: string[];
}

/** The summary lines of the Ocean phase. */
export function formatOcean(result: OceanDemoResult): string {
  const lines = [`\nOcean Protocol (ERC721Factory ${result.factory}):`];
  result.dids.forEach((did, index) => {
    lines.push(
      `  owner ${index + 1}: ${did}, data NFT ${result.nfts[index]}, datatoken ${result.datatokens[index]}, order ${result.orders[index] ?? "none"}`,
    );
  });
  return `${lines.join("\n")}\n`;
}

/** The Ocean phase in the summary line: Ocean's factory, and per owner its data NFT, datatoken, DID and order. */
export function oceanJson(ocean: OceanDemoResult) {
  const { factory, nfts, datatokens, dids, orders } = ocean;
  return { factory, nfts, datatokens, dids, orders };
}
