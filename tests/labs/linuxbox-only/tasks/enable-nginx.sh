systemctl enable --now nginx
