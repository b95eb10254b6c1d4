// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title TributaryTimelock
/// @notice The timelock that owns every protocol parameter: governance proposals execute through it after a delay.
/// @dev OpenZeppelin's `TimelockController` unchanged; this contract only pins it into the build.
contract TributaryTimelock is TimelockController {
    /// @param minDelay The initial minimum delay between queueing and executing, in seconds.
    /// @param proposers Accounts granted the proposer and canceller roles (the governor).
    /// @param executors Accounts granted the executor role (`address(0)`: anyone may execute).
    /// @param admin An optional bootstrap administrator (zero for none), which should renounce after setup.
    constructor(
        uint256 minDelay,
        address[] memory proposers,
        address[] memory executors,
        address admin
    ) TimelockController(minDelay, proposers, executors, admin) {}
}
