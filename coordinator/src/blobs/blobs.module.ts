import { type DynamicModule, Inject, Module, type OnApplicationShutdown } from "@nestjs/common";
import { BlobStore } from "./blob-store.js";

/** The content-addressed blob store under `dataDir` (global: models, updates, JobSpecs, validation sets). */
@Module({})
export class BlobsModule implements OnApplicationShutdown {
  constructor(@Inject(BlobStore) private readonly store: BlobStore) {}

  static forRoot(dataDir: string): DynamicModule {
    const store = { provide: BlobStore, useValue: new BlobStore(dataDir) };
    return { module: BlobsModule, global: true, providers: [store], exports: [BlobStore] };
  }

  /** After the gateway and the rounds stopped storing updates: the segment files open for appending are closed. */
  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
