import { type DynamicModule, Module } from "@nestjs/common";
import type { CoordinatorConfig } from "../config/coordinator-config.js";
import { RedisConnection } from "./redis-connection.js";
import { TransactionRunner } from "./transaction-runner.repository.js";

/**
 * The data source (from `typeOrmRoot`) and the transaction runner every module's repositories share, and the Redis
 * connection replicas share (`RedisConnection`, without a client when `redisUrl` is not set).
 */
@Module({})
export class DatabaseModule {
  static forRoot(dataSource: DynamicModule, config: CoordinatorConfig): DynamicModule {
    const redis = {
      provide: RedisConnection,
      useFactory: () => new RedisConnection(config.redisUrl, `tributary:${config.databaseSchema}:`),
    };
    return {
      module: DatabaseModule,
      global: true,
      imports: [dataSource],
      providers: [TransactionRunner, redis],
      exports: [TransactionRunner, RedisConnection],
    };
  }
}
