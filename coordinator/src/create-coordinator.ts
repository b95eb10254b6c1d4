import "reflect-metadata";
import type { AddressInfo } from "node:net";
import { type INestApplication, Logger, type LoggerService } from "@nestjs/common";
import { NestFactory } from "@nestjs/core";
import { DocumentBuilder, SwaggerModule } from "@nestjs/swagger";
import { createLogger } from "@tributary/observability";
import type { DestinationStream, Logger as Pino } from "pino";
import { AppModule } from "./app.module.js";
import type { ChainSenderHooks } from "./chain/chain-sender.js";
import { BoundedHeadExpressAdapter } from "./common/bounded-head-express-adapter.js";
import { CoordinatorMetrics } from "./common/coordinator-metrics.js";
import { PinoLoggerService } from "./common/pino-logger.service.js";
import { observeRequests } from "./common/request-observer.js";
import { servePortal } from "./common/serve-portal.js";
import type { AttestationTestRoots } from "./common/tokens.js";
import { TributaryErrorFilter } from "./common/tributary-error.filter.js";
import {
  type CoordinatorConfig,
  type CoordinatorConfigInput,
  developmentWithChain,
  resolveConfig,
} from "./config/coordinator-config.js";
import { startEmbeddedPostgres } from "./database/embedded-postgres.js";

export interface Coordinator {
  readonly app: INestApplication;
  readonly config: CoordinatorConfig;
  /** Base URL of REST (`/docs` has the OpenAPI UI) and of the trainers' socket.io endpoint. */
  readonly url: string;
  /** `postgresql` when `databaseUrl` was given, else `pglite`. */
  readonly database: "postgresql" | "pglite";
  close(): Promise<void>;
}

export interface CreateCoordinatorOptions {
  /**
   * Default: pino JSON lines on stdout (pretty on a terminal) at `config.logLevel`, into `logDestination` when
   * given. `false`: no log at all.
   */
  readonly logger?: LoggerService | false;
  /** Where the default logger writes its lines instead of stdout (tests read them). */
  readonly logDestination?: DestinationStream;
  /** The default logger's stream: `stdout`, or `stderr` for a command whose stdout is its result. */
  readonly logStream?: "stdout" | "stderr";
  /** Test seams of the chain sender (fault injection: a hook that throws stops the sender like a crash). */
  readonly chainSenderHooks?: ChainSenderHooks;
  /** The time attestations are verified at, Unix ms (default `Date.now`): tests check a vendor document at its time. */
  readonly clock?: () => number;
  /** Tests only: a Nitro root to pin instead of AWS's, for documents a test signed with a key it holds. */
  readonly attestationTestRoots?: AttestationTestRoots;
}

/** Values the log must never show, wherever they would appear: keys, secrets, tokens, the database's password. */
function secretsOf(config: CoordinatorConfig): string[] {
  const password = config.databaseUrl === undefined ? "" : decodeURIComponent(new URL(config.databaseUrl).password);
  return [config.sessionSecret, config.chain?.senderPrivateKey, config.metricsToken, password].filter(
    (secret): secret is string => secret !== undefined && secret !== "",
  );
}

/** The default logger: pino at the configured level and format, or JSON lines into `logDestination`. */
function coordinatorLogger(config: CoordinatorConfig, options: CreateCoordinatorOptions): Pino {
  return createLogger({
    service: "coordinator",
    level: config.logLevel,
    format: options.logDestination === undefined ? config.logFormat : "json",
    secrets: secretsOf(config),
    ...(options.logStream === undefined ? {} : { stream: options.logStream }),
    ...(options.logDestination === undefined ? {} : { destination: options.logDestination }),
  });
}

/** Starts a coordinator: database (embedded unless a URL is configured), migrations, REST, socket.io, rounds. */
export async function createCoordinator(
  input: CoordinatorConfigInput,
  options: CreateCoordinatorOptions = {},
): Promise<Coordinator> {
  const config = resolveConfig(input);
  const embedded = config.databaseUrl === undefined ? await startEmbeddedPostgres(config.dataDir) : undefined;
  const url = config.databaseUrl ?? (embedded?.url as string);
  try {
    const app = await NestFactory.create(
      AppModule.forRoot(config, url, options.chainSenderHooks, {
        ...(options.clock === undefined ? {} : { clock: options.clock }),
        ...(options.attestationTestRoots === undefined ? {} : { attestationTestRoots: options.attestationTestRoots }),
      }),
      new BoundedHeadExpressAdapter(config.maxHandshakeBytes),
      { logger: options.logger ?? new PinoLoggerService(coordinatorLogger(config, options)), bodyParser: true },
    );
    app.use(observeRequests(app.get(CoordinatorMetrics)));
    if (developmentWithChain(config)) {
      new Logger("config").warn(
        "DEVELOPMENT MODE WITH A CHAIN: simulated TEE attestations are accepted for on-chain jobs (production is the default with a chain; unset mode to get it)",
      );
    }
    app.useGlobalFilters(new TributaryErrorFilter());
    app.enableShutdownHooks();
    const document = SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle("Tributary coordinator")
        .setDescription("Federated training jobs, datasets, rounds, trainers and content-addressed models")
        .setVersion("0.1.0")
        .build(),
    );
    SwaggerModule.setup("docs", app, document);
    if (config.portal !== undefined) {
      // Registered before Nest's not-found handler; the origin (sign-in messages name it) is known once listening.
      const origin = () =>
        config.publicOrigin ?? `http://${config.host}:${(app.getHttpServer().address() as AddressInfo).port}`;
      servePortal(app, config, config.portal, origin);
    }
    await app.listen(config.port, config.host);
    const address = app.getHttpServer().address() as AddressInfo;
    return {
      app,
      config,
      url: `http://${config.host}:${address.port}`,
      database: embedded === undefined ? "postgresql" : "pglite",
      async close() {
        await app.close();
        await embedded?.stop();
      },
    };
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
}
