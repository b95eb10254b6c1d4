import { Module } from "@nestjs/common";
import { AuthController } from "./auth.controller.js";
import { AuthService } from "./auth.service.js";
import { NonceStore } from "./nonce-store.js";

/** Identity: sign-in nonces, EIP-4361 verification, session tokens (REST and the trainers' socket handshake). */
@Module({
  controllers: [AuthController],
  providers: [NonceStore, AuthService],
  exports: [AuthService],
})
export class AuthModule {}
