"""auto under an eval bar: min_quality eval:<name> reads the caller's own eval scores."""
from tests.spend.conftest import fake, secrets_file, spend_app  # noqa: F401  (fixtures)

SOL, GROQ = "openai/gpt-6.1-sol", "groq/llama-3.1-8b"
PROMPTS = [{"prompt": f"Answer {i}", "grader": {"type": "contains", "expected": f"Answer {i}"}} for i in range(4)]


def chat(client, status=200, **body):
    response = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "hi"}],
                                                          "max_tokens": 20, **body})
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def test_auto_keeps_only_models_that_pass_the_callers_eval(spend_app, fake):  # noqa: F811
    client = spend_app().test_client()
    fake.behave("llama-3.1-8b-instant", text="no idea")   # Groq's model fails every prompt: 0%
    assert client.post("/api/evals", json={"name": "mine", "prompts": PROMPTS,
                                           "model_names": [SOL, GROQ]}).status_code == 200
    fake.behave("llama-3.1-8b-instant", text=None)
    bar = {"min_quality": {"benchmark": "eval:mine", "score": 50}}
    reply = chat(client, model="auto", price_runner=bar)
    assert reply["price_runner"]["model"] == SOL
    low = chat(client, model="auto", price_runner={"min_quality": {"benchmark": "eval:mine", "score": 0},
                                                   "providers": ["groq"]})
    assert low["price_runner"]["model"] == GROQ   # 0% meets a bar of 0
    error = chat(client, 400, model="auto", price_runner={"min_quality": {"benchmark": "eval:never", "score": 1}})
    assert error["error"]["param"] == "price_runner.min_quality.benchmark"
    assert error["error"]["code"] == "unknown_benchmark"
