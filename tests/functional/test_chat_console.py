"""`flask wechat chat`: a person talks to the running bot over real HTTP, signed (and encrypted with --aes)."""
import threading

import pytest
from werkzeug.serving import make_server


@pytest.fixture
def live_url(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/wechat"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("flags", [[], ["--aes"]])
def test_the_chat_console_talks_to_the_bot(app, live_url, flags):
    result = app.test_cli_runner().invoke(
        args=["wechat", "chat", "--openid", "console-user", "--url", live_url, *flags],
        input="帮助\nEnglish\n/quit\n")
    assert result.exit_code == 0, result.output
    assert "提诉求" in result.output and "I will speak English" in result.output


def test_a_photo_from_the_console_is_kept_by_the_simulator_for_the_bot_to_fetch(app, live_url, simulator):
    from simulator.cli import SAMPLE_PHOTO
    from core.uploads import photo_extension
    result = app.test_cli_runner().invoke(
        args=["wechat", "chat", "--openid", "console-photo", "--url", live_url], input="/image\n/quit\n")
    assert result.exit_code == 0, result.output
    assert [data for data, _type in simulator.state.media.values()] == [SAMPLE_PHOTO]
    assert photo_extension(SAMPLE_PHOTO) == "png"
