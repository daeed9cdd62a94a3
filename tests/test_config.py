"""Settings read outside Streamlit: a command's secrets (pulse.config.file_secret)."""

import pytest

from pulse.config import file_secret
from pulse.errors import PulseError


def test_a_commands_secret_is_read_from_the_secrets_file_and_a_broken_file_is_named_not_quoted(tmp_path):
    secrets = tmp_path / "secrets.toml"
    assert file_secret(secrets, "display_secret") is None  # no file: the caller falls back to the environment
    secrets.write_text('display_secret = "  s3cret  "\nblank = " "\nnumber = 7\n[claims]\npublisher = "Desk"\n')
    assert file_secret(secrets, "display_secret") == "s3cret"
    assert file_secret(secrets, "claims", "publisher") == "Desk"
    assert [file_secret(secrets, key) for key in ("blank", "number", "missing")] == [None, None, None]
    assert file_secret(secrets, "display_secret", "deeper") is None
    secrets.write_text('youtube_api_key = "AIza-the-key\n')  # an unclosed string: the parser would quote the line
    with pytest.raises(PulseError) as caught:
        file_secret(secrets, "youtube_api_key")
    assert str(caught.value) == f"{secrets} could not be read as TOML"
