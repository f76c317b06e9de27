# Provisional: replaced by the generator.
DEFAULTS = {
    "apiVersion": "v4.20190615",
    "apiVersionMajor": "4",
    "clientVersion": "20.11.0",
    "endpoint": "https://api.backend.ai",
    "env": {"accessKey": "BACKEND_ACCESS_KEY", "endpoint": "BACKEND_ENDPOINT", "secretKey": "BACKEND_SECRET_KEY"},
    "hashType": "sha256",
    "kernelPrefix": "/kernel",
    "requestTimeout": 5000,
    "responseReadTimeout": 600000,
    "retryDelay": 2000,
    "userAgentPrefix": "Backend.AI Client for Javascript",
}
ERROR_CODES = {"ERR_SERVER": 0, "ERR_RESPONSE": 1, "ERR_REQUEST": 2, "ERR_ABORT": 3, "ERR_TIMEOUT": 4, "ERR_UNKNOWN": 99}
PROBLEM_TYPES = {
    0: "https://api.backend.ai/probs/server-error",
    1: "https://api.backend.ai/probs/client-response-error",
    2: "https://api.backend.ai/probs/client-request-error",
    3: "https://api.backend.ai/probs/request-abort-error",
    4: "https://api.backend.ai/probs/request-timeout-error",
}
