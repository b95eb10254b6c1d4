import { type DynamicModule, Module } from "@nestjs/common";
import { TransactionRunner } from "./transaction-runner.repository.js";

/** The data source (from `typeOrmRoot`) and the transaction runner every module's repositories share. */
@Module({})
export class DatabaseModule {
  static forRoot(dataSource: DynamicModule): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      imports: [dataSource],
      providers: [TransactionRunner],
      exports: [TransactionRunner],
    };
  }
}
