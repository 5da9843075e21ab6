"""The site's icon (browser tab): a falling loss curve in the course's colours, as an inline SVG."""

ICON = ("data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 32 32'%3E"
        "%3Crect width='32' height='32' rx='6' fill='%231f3b57'/%3E"
        "%3Cpath d='M6 6 Q 9 24 27 25' stroke='%23f0b429' stroke-width='3.5' fill='none' "
        "stroke-linecap='round'/%3E%3C/svg%3E")
