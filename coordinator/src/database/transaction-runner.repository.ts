import { Injectable } from "@nestjs/common";
import { InjectDataSource } from "@nestjs/typeorm";
import type { DataSource, EntityManager } from "typeorm";

/**
 * An open database transaction, handed by `TransactionRunner.run` to the work it runs and from there to
 * repositories (whose methods take it as their first argument). Opaque outside repositories: only
 * `entityManager` opens it.
 */
export class Transaction {
  readonly #manager: EntityManager;

  constructor(manager: EntityManager) {
    this.#manager = manager;
  }

  /** For repositories only: the TypeORM manager the transaction's statements go through. */
  static entityManager(tx: Transaction): EntityManager {
    return tx.#manager;
  }
}

/**
 * Runs work in one database transaction (BEGIN … COMMIT, ROLLBACK when the work throws), so that changes owned
 * by several modules' repositories commit together: the caller passes the `Transaction` to each of them.
 */
@Injectable()
export class TransactionRunner {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  run<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.db.transaction((manager) => work(new Transaction(manager)));
  }
}
