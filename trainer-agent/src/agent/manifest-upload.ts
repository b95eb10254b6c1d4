import { type DatasetManifest, SOCKET_EVENTS, TributaryError } from "@tributary/protocol";
import type { Socket } from "socket.io-client";

/**
 * Sends the dataset's manifest (schema, record count, shard hashes; never a record) to the coordinator after
 * login. The coordinator checks it against the dataset's commitment and caps the examples an update may claim at
 * its record count; it admits no trainer to a job without it.
 */
export async function uploadManifest(socket: Socket, manifest: DatasetManifest): Promise<void> {
  const ack = await socket.emitWithAck(SOCKET_EVENTS.manifest, manifest);
  if (!ack.ok) throw new TributaryError(ack.code, `manifest refused: ${ack.message}`);
}
