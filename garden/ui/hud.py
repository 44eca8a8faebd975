"""The top bar (title, model, voice status and level meter), the HUD of the last command, the input line."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pygame

from garden.session import Turn, VoiceState, describe_call
from garden.ui import text
from garden.ui.sprites import SpriteBook

BAR = (58, 96, 52)
BAR_DARK = (40, 70, 38)
STRIP = (246, 236, 210)
INPUT_BG = (36, 44, 34)
STATUS_COLOURS = {"idle": (150, 180, 140), "listening": (236, 72, 72), "thinking": (250, 186, 44)}
METER = [(90, 180, 80)] * 4 + [(236, 170, 40), (226, 70, 60)]  # green, then amber, then red at the top
RESULT_COLOURS = {"ok": (44, 120, 52), "partial": (176, 110, 20), "refused": (178, 52, 40), "error": (178, 52, 40)}
SOURCE_WORDS = {"voice": "Heard"}  # typed lines, /call and other commands all read "You typed"
WELCOME = "Welcome! Type a command below and press Enter. /help lists commands; ` opens the console."


@dataclass
class Notice:
    """A line of news for the HUD that is not a turn: 'loading model...', a load failure."""

    words: str
    error: bool = False


def draw_top_bar(screen, fonts: text.Fonts, sprites: SpriteBook, rect: pygame.Rect, model: str,
                 voice: VoiceState, now: float) -> None:
    pygame.draw.rect(screen, BAR, rect)
    pygame.draw.line(screen, BAR_DARK, rect.bottomleft, (rect.right, rect.bottom - 1), 3)
    screen.blit(sprites.scaled("sunflower_bloom", 36), (rect.x + 10, rect.y + 4))
    title = text.write(screen, fonts.title, "Tiny Garden", (rect.x + 52, rect.centery), (255, 246, 214),
                       shadow=BAR_DARK, anchor="midleft")
    pill = _voice_pill(screen, fonts, sprites, rect, voice, now)
    room = pill.left - title.right - 40
    text.write(screen, fonts.small, text.fit(fonts.small, model, room), (title.right + 24, rect.centery),
               (214, 232, 200), anchor="midleft")


def _voice_pill(screen, fonts, sprites, rect: pygame.Rect, voice: VoiceState, now: float) -> pygame.Rect:
    """Status light, status word, engine name and input level, right-aligned in the bar."""
    status = voice.status if voice.status in STATUS_COLOURS else "idle"
    engine = f"voice: {voice.engine}" if voice.engine else "voice off"
    words = fonts.body.render(status, True, text.INK)
    detail = fonts.small.render(engine, True, text.MUTED)
    meter_w = 44
    w = 28 + words.get_width() + 12 + detail.get_width() + 12 + 22 + meter_w + 14
    pill = pygame.Rect(rect.right - w - 10, rect.y + 7, w, rect.h - 14)
    pygame.draw.rect(screen, STRIP, pill, border_radius=pill.h // 2)
    colour = STATUS_COLOURS[status]
    pulse = 0.5 + 0.5 * math.sin(now * 8) if status != "idle" else 0.0
    centre = (pill.x + 15, pill.centery)
    if pulse:
        pygame.draw.circle(screen, colour, centre, 7 + round(3 * pulse), 2)
    pygame.draw.circle(screen, colour, centre, 6)
    x = pill.x + 28
    screen.blit(words, words.get_rect(midleft=(x, pill.centery + 1)))
    x += words.get_width() + 12
    screen.blit(detail, detail.get_rect(midleft=(x, pill.centery + 1)))
    x += detail.get_width() + 10
    screen.blit(sprites.scaled("icon_mic", 20), (x, pill.centery - 10))
    _meter(screen, pygame.Rect(x + 22, pill.centery - 7, meter_w, 14), voice.level)
    return pill


def _meter(screen, rect: pygame.Rect, level: float) -> None:
    bars = 6
    lit = round(max(0.0, min(1.0, level or 0.0)) * bars)
    w = rect.w // bars
    for i in range(bars):
        h = 4 + (rect.h - 4) * (i + 1) // bars
        colour = METER[min(i, len(METER) - 1)] if i < lit else (210, 200, 180)
        pygame.draw.rect(screen, colour, (rect.x + i * w, rect.bottom - h, w - 2, h), border_radius=1)


def draw_hud(screen, fonts: text.Fonts, rect: pygame.Rect, turn: Turn | None, notice: Notice | None,
             voice: VoiceState) -> None:
    """What was heard or typed, the calls that ran and what they did, in words."""
    pygame.draw.rect(screen, STRIP, rect)
    pygame.draw.line(screen, (196, 176, 140), rect.topleft, rect.topright, 2)
    x, width, step = rect.x + 14, rect.w - 28, 21
    lines = _hud_lines(turn, voice)
    if notice:
        lines.insert(0, ("Model:", notice.words, RESULT_COLOURS["error"] if notice.error else (40, 80, 130)))
    rows = _laid_out(fonts.body, lines, width, max(1, (rect.h - 8) // step))
    for i, (label, words, colour, indent) in enumerate(rows):
        y = rect.y + 8 + i * step
        if label:
            text.write(screen, fonts.body, label, (x, y), text.MUTED)
        text.write(screen, fonts.body, words, (x + indent, y), colour)


def _laid_out(font, lines, width: int, room: int):
    """HUD lines wrapped under their labels, at most `room` rows; what does not fit ends in '…'."""
    rows = []
    for label, words, colour in lines:
        indent = font.size(label)[0] + 8 if label else 0
        for j, part in enumerate(text.wrap(font, words, width - indent)):
            rows.append((label if j == 0 else "", part, colour, indent))
    if len(rows) > room:
        label, words, colour, indent = rows[room - 1]
        rows = rows[:room - 1] + [(label, text.fit(font, words + " …", width - indent), colour, indent)]
    return rows


def _hud_lines(turn: Turn | None, voice: VoiceState) -> list[tuple[str, str, tuple]]:
    if voice.status == "listening":
        lines = [("Hearing:", (voice.partial or "…") + " …", text.INK)]
        return lines + ([("", voice.message, text.MUTED)] if voice.message else [])
    if turn is None:
        return [("", WELCOME, text.INK)] + ([("Voice:", voice.message, text.MUTED)] if voice.message else [])
    lines = [(SOURCE_WORDS.get(turn.source, "You typed") + ":", turn.input, text.INK)]
    if turn.calls:
        lines.append(("Ran:", "  ".join(describe_call(c) for c in turn.calls), (40, 80, 130)))
    for result in turn.results:
        colour = RESULT_COLOURS.get(result.get("status"), text.INK)
        lines.append((f"{result.get('tool', '?')}:", result.get("message", ""), colour))
    if turn.reply:
        lines.append(("", " ".join(turn.reply.split()) if "\n" in turn.reply else turn.reply, text.INK))
    if turn.error:
        lines.append(("Problem:", turn.error, RESULT_COLOURS["error"]))
    return lines


def draw_input(screen, fonts: text.Fonts, rect: pygame.Rect, line: str, cursor: int, now: float,
               hint: str, busy: bool) -> None:
    """The line the player types into; Enter sends it."""
    pygame.draw.rect(screen, INPUT_BG, rect)
    font = fonts.body
    prompt = text.write(screen, font, "›", (rect.x + 14, rect.centery), (150, 220, 120), anchor="midleft")
    x = prompt.right + 10
    right = rect.right - 14
    if busy:
        dots = "." * (1 + int(now * 3) % 3)
        right = text.write(screen, fonts.small, f"thinking{dots:<3}", (right, rect.centery),
                           STATUS_COLOURS["thinking"], anchor="midright").left - 12
    if not line:
        text.write(screen, font, text.fit(font, hint, right - x), (x, rect.centery), (120, 134, 116), anchor="midleft")
    shown = _visible_tail(font, line, cursor, right - x)
    text.write(screen, font, shown[0], (x, rect.centery), (240, 240, 228), anchor="midleft")
    if int(now * 2) % 2 == 0:
        cx = x + font.size(shown[0][:shown[1]])[0]
        pygame.draw.line(screen, (240, 240, 228), (cx + 1, rect.centery - 9), (cx + 1, rect.centery + 9), 2)


def _visible_tail(font, line: str, cursor: int, width: int) -> tuple[str, int]:
    """The part of a long line around the cursor that fits; and the cursor's index in it."""
    start = 0
    while start < cursor and font.size(line[start:cursor])[0] > width - 10:
        start += 1
    end = len(line)
    while end > cursor and font.size(line[start:end])[0] > width:
        end -= 1
    return line[start:end], cursor - start
