"""The batch items of one message, in order, under its Batch Error Continuation Option.

* Continue: every item is answered, whatever failed before it.
* Stop (the default): the first failure ends the batch; the items after it are not processed and not answered.
* Undo: as Stop, and the items that succeeded before the failure are taken back and answered Operation Undone.
  Only reads and creations can be taken back (a creation by destroying what it made), so a batch holding any other
  change is refused whole (Feature Not Supported) before anything runs.

Each item that names no Unique Identifier uses the ID Placeholder the items before it set.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

from strongroom.errors import StrongroomError
from strongroom.protocols.kmip import operations
from strongroom.protocols.kmip.call import BatchState, Call
from strongroom.protocols.kmip.enums import BatchErrorContinuationOption, ResultReason, ResultStatus
from strongroom.protocols.kmip.errors import KmipError
from strongroom.protocols.kmip.messages import RequestBatchItem, RequestMessage, ResponseBatchItem
from strongroom.protocols.kmip.results import INTERNAL_MESSAGE, Refusal, reason_for
from strongroom.protocols.kmip.tags import Tag

log = logging.getLogger("strongroom.kmip")


@dataclass(slots=True)
class Answered:
    """One request item, its answer, and the call that ran it (None: refused before it ran)."""

    request: RequestBatchItem
    response: ResponseBatchItem
    call: Call | None


MakeCall = Callable[[RequestBatchItem, BatchState], Call]
Admit = Callable[[Call, str], None]


def _failure(item: RequestBatchItem, reason: ResultReason | int, message: str) -> ResponseBatchItem:
    return ResponseBatchItem.failure(item.operation, reason, message, item.unique_batch_item_id)


def _critical_extension(item: RequestBatchItem) -> bool:
    extension = item.message_extension
    if extension is None:
        return False
    flag = extension.find(Tag.CRITICALITY_INDICATOR)
    return flag is not None and flag.value is True


def run_item(item: RequestBatchItem, call: Call, admit: Admit) -> ResponseBatchItem:
    """One item's answer; never raises."""
    if item.error is not None:
        return ResponseBatchItem.for_error(item, item.error)
    served = operations.served(item.operation)
    if served is None:
        return _failure(item, ResultReason.OPERATION_NOT_SUPPORTED,
                        f"{operations.event_name(item.operation)} is not supported by this server")
    if _critical_extension(item):
        return _failure(item, ResultReason.OPERATION_NOT_SUPPORTED, "a critical Message Extension is not understood")
    try:
        admit(call, served.quota)
        payload = served.handler(call, item.payload)
    except Refusal as refusal:
        failed = _failure(item, refusal.reason, refusal.message)
        if refusal.payload is not None:
            failed = replace(failed, payload=refusal.payload)  # type: ignore[arg-type]
        return failed
    except KmipError as error:
        return _failure(item, error.reason, error.detail)
    except StrongroomError as error:
        reason, message = reason_for(error, call.version)
        return _failure(item, reason, message)
    except Exception:
        log.exception("KMIP %s failed (request %s)", operations.event_name(item.operation), call.ctx.request_id)
        return _failure(item, ResultReason.GENERAL_FAILURE, INTERNAL_MESSAGE)
    return ResponseBatchItem.success(item.operation, payload, item.unique_batch_item_id)  # type: ignore[arg-type]


def _undoable(item: RequestBatchItem) -> bool:
    served = operations.served(item.operation)
    return item.error is not None or served is None or served.read_only or served.creates


def run_batch(request: RequestMessage, make_call: MakeCall, admit: Admit,
              undo: Callable[[Call, str], None]) -> list[Answered]:
    option = request.header.batch_error_continuation_option or BatchErrorContinuationOption.STOP
    state = BatchState()
    items = request.batch_items
    if option == BatchErrorContinuationOption.UNDO and not all(_undoable(item) for item in items):
        message = "Undo is offered for batches of reads and creations only"
        return [Answered(item, _failure(item, ResultReason.FEATURE_NOT_SUPPORTED, message), None) for item in items]
    done: list[Answered] = []
    for item in items:
        call = make_call(item, state)
        answer = run_item(item, call, admit)
        done.append(Answered(item, answer, call))
        if answer.result_status == ResultStatus.SUCCESS or option == BatchErrorContinuationOption.CONTINUE:
            continue
        if option == BatchErrorContinuationOption.UNDO:
            for earlier in done[:-1]:
                _take_back(earlier, undo)
        break
    return done


def _take_back(answered: Answered, undo: Callable[[Call, str], None]) -> None:
    call = answered.call
    if call is None:
        return
    try:
        for uid in call.made:
            undo(call, uid)
    except StrongroomError as error:
        log.warning("could not undo KMIP %s (request %s): %s", operations.event_name(answered.request.operation),
                    call.ctx.request_id, error)
        return
    call.params["undone"] = True
    request = answered.request
    answered.response = ResponseBatchItem(ResultStatus.OPERATION_UNDONE, request.operation,
                                          request.unique_batch_item_id)
