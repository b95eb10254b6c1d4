import { Body, Controller, Get, HttpCode, Inject, Post } from "@nestjs/common";
import { ApiOperation, ApiTags } from "@nestjs/swagger";
import { parseInput, SignInRequestSchema } from "@tributary/protocol";
import { Access } from "../common/access.decorator.js";
import { AuthService } from "./auth.service.js";

/** Sign-In with Ethereum (EIP-4361): a nonce, then the signed message for a session token. */
@ApiTags("auth")
@Controller("auth")
export class AuthController {
  constructor(@Inject(AuthService) private readonly auth: AuthService) {}

  @Get("nonce")
  @Access("anyone")
  @ApiOperation({ summary: "A single-use sign-in nonce (expires after 5 minutes)" })
  async nonce() {
    return { nonce: await this.auth.nonce() };
  }

  @Post("siwe")
  @HttpCode(200)
  @Access("anyone")
  @ApiOperation({ summary: "Exchange a signed EIP-4361 message for a bearer token: {token, address, expiresAt}" })
  async signIn(@Body() body: unknown) {
    const { message, signature } = parseInput(SignInRequestSchema, body, "sign-in");
    const { address } = await this.auth.verify(message, signature);
    return this.auth.issue(address);
  }
}
