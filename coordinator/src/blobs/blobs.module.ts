import { type DynamicModule, Module } from "@nestjs/common";
import { BlobStore } from "./blob-store.js";

/** The content-addressed blob store under `dataDir` (global: models, updates, JobSpecs, validation sets). */
@Module({})
export class BlobsModule {
  static forRoot(dataDir: string): DynamicModule {
    const store = { provide: BlobStore, useValue: new BlobStore(dataDir) };
    return { module: BlobsModule, global: true, providers: [store], exports: [BlobStore] };
  }
}
