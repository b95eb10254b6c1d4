import { Controller, Get, Inject } from "@nestjs/common";
import { ApiOperation, ApiTags } from "@nestjs/swagger";
import { TrainerSessions } from "./trainer-sessions.js";
import { TrainersService } from "./trainers.service.js";

@ApiTags("trainers")
@Controller("trainers")
export class TrainersController {
  constructor(
    @Inject(TrainersService) private readonly trainers: TrainersService,
    @Inject(TrainerSessions) private readonly sessions: TrainerSessions,
  ) {}

  @Get()
  @ApiOperation({ summary: "Trainer agents that have logged in, and whether they are online now" })
  async list() {
    const trainers = await this.trainers.list();
    return trainers.map((trainer) => ({ ...trainer, online: this.sessions.isOnline(trainer.address) }));
  }
}
