import pytest

from retrieval.boilerplate import is_boilerplate


@pytest.mark.parametrize(
    "line",
    [
        "photo_2023-05-12_10-22-31.jpg",
        "anh-minh-hoa.PNG",
        "DSC_0042.jpeg",
        "hop-bao-chinh-phu.webp",
        "clip-phong-su.mp4",
        "toan-van-nghi-quyet.pdf",
    ],
)
def test_file_names_are_boilerplate(line: str) -> None:
    assert is_boilerplate(line)


@pytest.mark.parametrize(
    "line", ["mainheaderwrapper", "colleftsidebarinner", "article_body_content"]
)
def test_glued_layout_tokens_are_boilerplate(line: str) -> None:
    assert is_boilerplate(line)


def test_bare_url_is_boilerplate() -> None:
    assert is_boilerplate("https://baoquocte.vn/tin-tuc-123.html")


@pytest.mark.parametrize(
    "line",
    [
        "Log in",
        "Sign up for our newsletter",
        "Share on Facebook",
        "Print this page",
        "Back to top",
        "Read more",
        "Menu",
        "Subscribe",
        "Comments (12)",
        "Search",
        "Tweet",
    ],
)
def test_short_english_interface_lines_are_boilerplate(line: str) -> None:
    assert is_boilerplate(line)


@pytest.mark.parametrize(
    "line",
    [
        "Chia sẻ",
        "Chia sẻ bài viết lên Facebook",
        "In bài viết",
        "Bình luận (3)",
        "Đăng nhập",
        "Đăng ký",
        "Xem thêm",
        "Xem tại đây",
        "Tin liên quan",
        "Tin cùng chuyên mục",
        "Gửi ý kiến của bạn",
        "Hãy đánh giá bài viết này",
        "Về đầu trang",
        "Sao chép liên kết",
        "TỪ KHOÁ",
    ],
)
def test_vietnamese_interface_lines_are_boilerplate(line: str) -> None:
    assert is_boilerplate(line)


@pytest.mark.parametrize(
    "line",
    ["• Share Zalo", "• Copy link bài viết", "» Click vào đây", "• Email cho bạn bè"],
)
def test_bulleted_widgets_are_boilerplate(line: str) -> None:
    assert is_boilerplate(line)


@pytest.mark.parametrize("line", ["•", "|", "— — —", "***", "\u00a0"])
def test_lines_without_letters_or_digits_are_boilerplate(line: str) -> None:
    assert is_boilerplate(line)


@pytest.mark.parametrize(
    "line",
    [
        "Skip Ribbon Commands",
        "Skip to main content",
        "Sign In",
        "• Click để copy",
        "Bài viết hay? Hãy đánh giá bài viết",
        "user image",
        "User",
        "doingoai2.jpg",
        "IMG-1362.JPG",
        "14.12.2021-HA-DienHong....jpg",
        "leftcenterrightdel",
    ],
)
def test_seed_chrome_is_boilerplate(line: str) -> None:
    assert is_boilerplate(line)


@pytest.mark.parametrize(
    "line",
    [
        "Các đồng chí lãnh đạo Đảng, Nhà nước tham dự Hội nghị",
        "Toàn cảnh Hội nghị đối ngoại toàn quốc năm 2021",
        "Châu Âu bàn việc triển khai lực lượng NATO tại Greenland",
        "Thủ tướng chia sẻ với người dân vùng lũ.",
        "Chia sẻ kinh nghiệm quản lý đô thị",
        "Đánh giá tình hình kinh tế quý III",
        "Bình luận viên nói gì về trận đấu?",
        "Xem xét kỷ luật cán bộ vi phạm",
        "Lưu ý khi đi du lịch mùa mưa",
        "• Hội nghị diễn ra trong hai ngày",
        "• Chia sẻ kinh nghiệm chống dịch",
        "TTXVN",
        "PV",
        "Tin, ảnh: THÙY LINH",
        "Theo Reuters",
        "Ảnh: VGP/Nhật Bắc",
        "NATO",
        "Covid-19",
        "14/12/2021",
        "Thứ Ba, 14/12/2021 10:30",
        "2021",
        "Bộ Ngoại giao Bộ trưởng Lê Hoài Trung Đại hội Đảng",
    ],
)
def test_article_text_captions_and_bylines_are_kept(line: str) -> None:
    assert not is_boilerplate(line)


def test_surrounding_whitespace_is_ignored() -> None:
    assert is_boilerplate("  Sign In \t")
    assert not is_boilerplate("  Tin, ảnh: THÙY LINH  ")
