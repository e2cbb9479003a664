"""The one error these translations raise: a request parameter the target cannot honour."""
from __future__ import annotations


class AgentParamError(ValueError):
    """A 400: ``param`` names the request parameter (OpenAI's ``error.param``), ``message`` says why."""

    status = 400

    def __init__(self, param: str, message: str):
        super().__init__(message)
        self.param = param
        self.message = message

    def to_openai(self) -> dict:
        """Return the body OpenAI's SDKs read as BadRequestError."""
        return {"error": {"message": self.message, "type": "invalid_request_error",
                          "param": self.param, "code": "unsupported_parameter"}}
