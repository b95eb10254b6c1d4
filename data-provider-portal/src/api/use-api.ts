import { useMemo } from "react";
import { useWallet } from "../chain/wallet-context.js";
import { CoordinatorApi } from "./coordinator-api.js";

/** The coordinator's REST API for the role pages, with the session's token once signed in. */
export function useApi(): CoordinatorApi {
  const { config, token } = useWallet();
  return useMemo(() => new CoordinatorApi(config.coordinatorUrl, token), [config.coordinatorUrl, token]);
}
