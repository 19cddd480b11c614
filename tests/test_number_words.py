"""Number words read as digits before number sets are compared (filters/number_words.py)."""

import pytest

from filters.number_words import as_digits, language


@pytest.mark.parametrize(
    "text, expected",
    [
        ("three-fifths of the students", "3/5 of the students"),
        ("one quarter of those workers", "1/4 of those workers"),
        ("two thirds", "2/3"),
        ("a third of them", "1/3 of them"),
        ("two dozen cups", "24 cups"),
        ("a dozen eggs", "12 eggs"),
        ("four score and seven", "80 and 7"),
        ("two two-hour lectures", "two 2-hour lectures"),
        ("twenty-five apples", "25 apples"),
        ("the twenty-fifth day", "the 25th day"),
        ("her test score", "her test score"),  # not a number
        ("half of the class", "half of the class"),  # a lone half stays: it would add 1 and 2 everywhere
        ("No one came", "No one came"),  # a lone small number word stays (text2num's rule)
    ],
)
def test_english_number_words(text, expected):
    assert as_digits(text) == expected


def test_translations_read_in_their_own_language():
    assert language("Jean tiene treinta piruletas y se come dos de ellas. ¿Cuántas bolsas puede llenar?") == "es"
    assert "30" in as_digits("Jean tiene treinta piruletas y se come dos de ellas. ¿Cuántas bolsas puede llenar?")
    assert language("Mme Jones verse du jus dans quatre verres pour ses quatre fils. Combien de jus ?") == "fr"
    assert as_digits("Mark arbeitet acht Stunden am Tag und verdient zehn Dollar pro Stunde, wie viele Dollar?").count("8") == 1
    assert language("How many eggs does she have?") == "en" and as_digits("") == ""
