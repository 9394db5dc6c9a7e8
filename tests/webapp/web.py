"""Helpers for driving the web app like a browser would: CSRF tokens, logins, form posts."""

import re

from werkzeug.datastructures import MultiDict

from workflows.demo import DEMO_PASSWORD

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf(client, path: str = "/login") -> str:
    """The CSRF token of a page."""
    html = client.get(path).get_data(as_text=True)
    return _TOKEN.search(html).group(1)


def login(client, username: str, password: str = DEMO_PASSWORD):
    """Log in through the login form."""
    client.post("/logout", data={"csrf_token": csrf(client)})
    return client.post("/login", data={"username": username, "password": password, "csrf_token": csrf(client)})


def flatten(data: dict) -> list[tuple[str, str]]:
    """A nested submission as HTML form fields (members.0.name, checkbox lists, booleans as 'on')."""
    pairs = []
    for key, value in data.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for i, row in enumerate(value):
                pairs += [(f"{key}.{i}.{k}", v) for k, v in flatten(row)]
        elif isinstance(value, list):
            pairs += [(key, v) for v in value]
        elif value is True:
            pairs.append((key, "on"))
        elif value is False or value is None:
            continue
        else:
            pairs.append((key, str(value)))
    return pairs


def post_form(client, path: str, data: dict, token_from: str | None = None):
    """Post a form the way the browser would, with the page's CSRF token."""
    fields = MultiDict(flatten(data))
    fields["csrf_token"] = csrf(client, token_from or path)
    return client.post(path, data=fields)
