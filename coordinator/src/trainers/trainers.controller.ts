import { Controller, Get, Inject } from "@nestjs/common";
import { ApiOperation, ApiTags } from "@nestjs/swagger";
import { Access } from "../common/access.decorator.js";
import { TrainersService } from "./trainers.service.js";

@ApiTags("trainers")
@Controller("trainers")
export class TrainersController {
  constructor(@Inject(TrainersService) private readonly trainers: TrainersService) {}

  @Get()
  @Access("anyone")
  @ApiOperation({ summary: "Trainer agents that have logged in, and whether they are online now" })
  list() {
    return this.trainers.list();
  }
}
