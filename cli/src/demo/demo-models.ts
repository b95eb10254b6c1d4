import { FEDAVG_CNN, MLP_784_200_200_10, type ModelSpec } from "@tributary/protocol";

/** The models `tributary up --model` offers. */
export const DEMO_MODELS: Record<"mlp" | "cnn", ModelSpec> = { mlp: MLP_784_200_200_10, cnn: FEDAVG_CNN };
