import { ChainCursorEntity } from "./chain/chain-cursor.entity.js";
import { ChainDatasetEntity } from "./chain/chain-dataset.entity.js";
import { ChainIntentEntity } from "./chain/chain-intent.entity.js";
import { ChainJobEntity } from "./chain/chain-job.entity.js";
import { ChainRoundAnchorEntity } from "./chain/chain-round-anchor.entity.js";
import { DatasetEntity } from "./datasets/dataset.entity.js";
import { DatasetManifestEntity } from "./datasets/dataset-manifest.entity.js";
import { JobEntity } from "./jobs/job.entity.js";
import { ParticipantEntity } from "./jobs/participant.entity.js";
import { ModelEntity } from "./models/model.entity.js";
import { ModelMetadataEntity } from "./registry/model-metadata.entity.js";
import { AssignmentEntity } from "./rounds/assignment.entity.js";
import { RoundEntity } from "./rounds/round.entity.js";
import { UpdateEntity } from "./rounds/update.entity.js";
import { TrainerEntity } from "./trainers/trainer.entity.js";
import { ValidationSetEntity } from "./validation/validation-set.entity.js";

/** Every module's entities: what the data source maps (the tables themselves come from the migrations). */
export const ENTITIES = [
  DatasetEntity,
  DatasetManifestEntity,
  TrainerEntity,
  ParticipantEntity,
  JobEntity,
  RoundEntity,
  AssignmentEntity,
  UpdateEntity,
  ModelEntity,
  ChainCursorEntity,
  ChainDatasetEntity,
  ChainJobEntity,
  ChainRoundAnchorEntity,
  ChainIntentEntity,
  ValidationSetEntity,
  ModelMetadataEntity,
];
