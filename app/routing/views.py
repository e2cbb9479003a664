"""send_prompt: one prompt to many vendors at once."""
from __future__ import annotations

from flask import Blueprint, Response

from app.errors import APIError
from app.responses import json_response
from app.routing.schemas import SendPromptSchema
from app.routing.service import Prompt
from app.routing.targets import TargetError, choose_targets
from app.services import services
from app.validation import load_json

bp = Blueprint("routing", __name__, url_prefix="/api")
SEND_PROMPT_REQUEST = SendPromptSchema()


@bp.post("/send_prompt")
def send_prompt() -> Response:
    """Send the prompt to every chosen model concurrently; answer with each result and its cost."""
    body = load_json(SEND_PROMPT_REQUEST)
    svc = services()
    try:
        models = choose_targets(svc.catalog, svc.names, body["model_names"], body["providers"],
                                svc.config["SEND_PROMPT_MAX_MODELS"])
    except TargetError as exc:
        raise APIError(400, exc.message, fields={exc.field: [exc.message]}) from None
    prompt = Prompt(body["prompt"], body["system"], body["max_tokens"], body["temperature"])
    result = svc.router.run(models, prompt, body["timeout"])
    return json_response(result)
