"""What a page button carries in its custom_id comes back as it went."""

from hypothesis import given
from hypothesis import strategies as st

from bot.ui.paging import CUSTOM_ID_MAX, PageAddress, decode_args, encode_args
from cogs.drivers import WinsPages

ids = st.one_of(st.none(), st.integers(min_value=0, max_value=10**7))


@given(st.lists(ids, max_size=6).map(tuple))
def test_args_come_back_as_they_went(args: tuple[int | None, ...]):
    assert decode_args(encode_args(args)) == args


def test_the_longest_question_fits_a_custom_id():
    # /wins with every filter, by a user id as long as Discord's get, on a page far into the list
    address = PageAddress(owner_id=2**63 - 1, expires=2**32, page=999, args=(9_999_999, 99, 999, 2200, 9_999_999))
    for direction in ("p", "n"):
        button = WinsPages(direction, address)
        assert len(button.custom_id) <= CUSTOM_ID_MAX
        assert button.template.fullmatch(button.custom_id)
